//! A workflow's task DAG drawn as an SVG graph, and the details of one task.
//!
//! - [`layout`] is pure (no Leptos): it places tasks in columns by dependency level, orders
//!   each column with barycenter sweeps to reduce edge crossings, and draws every edge as a
//!   cubic SVG path from the right side of a dependency to the left side of its dependent.
//! - [`DagGraph`] renders that layout live: nodes are keyed by task id, so a state change only
//!   updates attributes and a task added by a planning task appears without the others being
//!   re-created (keyboard focus survives updates).
//! - [`TaskDetails`] shows one task in a definition list.
//!
//! CSS lives in `style/graph.css`.

use std::{collections::HashMap, fmt::Write as _};

use chrono::{DateTime, Utc};
use domain::{api::TaskView, ids::TaskId, status::TaskState};
use leptos::prelude::*;

/// Width of a node, in SVG user units (pixels at natural size).
pub const NODE_W: f64 = 180.0;
/// Height of a node.
pub const NODE_H: f64 = 48.0;
/// Horizontal gap between two columns (where the edges run).
pub const COL_GAP: f64 = 64.0;
/// Vertical gap between two nodes of a column.
pub const ROW_GAP: f64 = 14.0;
/// Margin around the drawing.
pub const PAD: f64 = 12.0;
/// Characters of a task key shown on a node before it is cut with an ellipsis.
pub const KEY_CHARS: usize = 18;
/// Characters of a node's second line (agent or state).
pub const SUB_CHARS: usize = 24;
/// Rounds of barycenter sweeps (one down, one up each).
const SWEEPS: usize = 8;
/// Narrowest the graph is scaled to, as a share of its natural width, before it scrolls.
const MIN_SCALE: f64 = 0.75;
/// Characters of input or output JSON shown before "Show all".
pub const JSON_PREVIEW_CHARS: usize = 2_000;

/// One node: where task `index` (of the slice given to [`layout`]) is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRect {
    /// Index of the task in the input slice.
    pub index: usize,
    /// Column (0 = leftmost: the lowest level present).
    pub column: usize,
    /// Row within the column, from the top.
    pub row: usize,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// One edge: task `from` must finish before task `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgePath {
    /// Index of the dependency.
    pub from: usize,
    /// Index of the dependent.
    pub to: usize,
    /// SVG path data (`M x y C ...`).
    pub d: String,
}

/// Where everything goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphLayout {
    /// One per task, in the input's order (`nodes[i].index == i`).
    pub nodes: Vec<NodeRect>,
    /// Dependency edges; unknown and duplicate dependency keys are left out.
    pub edges: Vec<EdgePath>,
    /// Columns used (distinct levels).
    pub columns: usize,
    /// Total width, margins included (0 when there are no tasks).
    pub width: f64,
    /// Total height, margins included (0 when there are no tasks).
    pub height: f64,
}

/// Places `tasks` in columns by `level` (left to right) and orders every column to reduce
/// edge crossings. Deterministic: the same tasks always give the same layout.
pub fn layout(tasks: &[TaskView]) -> GraphLayout {
    let n = tasks.len();
    if n == 0 {
        return GraphLayout::default();
    }

    // Columns: the distinct levels, in order (gaps between levels are closed up).
    let mut levels: Vec<i32> = tasks.iter().map(|t| t.level).collect();
    levels.sort_unstable();
    levels.dedup();
    let col_of: Vec<usize> = tasks
        .iter()
        .map(|t| levels.binary_search(&t.level).unwrap_or_default())
        .collect();

    // Edges by index; the first task with a key wins if keys repeat.
    let mut by_key: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, t) in tasks.iter().enumerate() {
        by_key.entry(t.key.as_str()).or_insert(i);
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, t) in tasks.iter().enumerate() {
        let mut deps: Vec<usize> = t
            .dependencies
            .iter()
            .filter_map(|k| by_key.get(k.as_str()).copied())
            .filter(|&j| j != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        for j in deps {
            edges.push((j, i));
            preds[i].push(j);
            succs[j].push(i);
        }
    }

    // Initial order within each column: topological position, then input order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (tasks[i].position, i));
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); levels.len()];
    for i in order {
        columns[col_of[i]].push(i);
    }
    let max_rows = columns.iter().map(Vec::len).max().unwrap_or(0);

    // Edges between adjacent columns, bucketed by their left column (for counting crossings).
    let mut adjacent: Vec<Vec<(usize, usize)>> = vec![Vec::new(); columns.len()];
    for &(j, i) in &edges {
        if col_of[i] == col_of[j] + 1 {
            adjacent[col_of[j]].push((j, i));
        }
    }

    let mut coord = vec![0.0; n];
    for col in &columns {
        place(col, &mut coord, max_rows);
    }
    let mut best = columns.clone();
    let mut best_crossings = crossings(&columns, &adjacent, n);
    for _ in 0..SWEEPS {
        if best_crossings == 0 {
            break;
        }
        for col in columns.iter_mut().skip(1) {
            reorder(col, &mut coord, &preds, max_rows);
        }
        let last = columns.len().saturating_sub(1);
        for col in columns.iter_mut().take(last).rev() {
            reorder(col, &mut coord, &succs, max_rows);
        }
        let now = crossings(&columns, &adjacent, n);
        if now < best_crossings {
            best_crossings = now;
            best.clone_from(&columns);
        }
    }

    let mut nodes = vec![
        NodeRect {
            index: 0,
            column: 0,
            row: 0,
            x: 0.0,
            y: 0.0,
            w: NODE_W,
            h: NODE_H
        };
        n
    ];
    for (c, col) in best.iter().enumerate() {
        let offset = (max_rows - col.len()) as f64 / 2.0;
        for (r, &i) in col.iter().enumerate() {
            nodes[i] = NodeRect {
                index: i,
                column: c,
                row: r,
                x: PAD + c as f64 * (NODE_W + COL_GAP),
                y: PAD + (offset + r as f64) * (NODE_H + ROW_GAP),
                w: NODE_W,
                h: NODE_H,
            };
        }
    }

    let edges = edges
        .into_iter()
        .map(|(from, to)| EdgePath {
            from,
            to,
            d: edge_path(&nodes[from], &nodes[to]),
        })
        .collect();
    let cols = best.len() as f64;
    let rows = max_rows as f64;
    GraphLayout {
        nodes,
        edges,
        columns: best.len(),
        width: 2.0 * PAD + cols * NODE_W + (cols - 1.0) * COL_GAP,
        height: 2.0 * PAD + rows * NODE_H + (rows - 1.0) * ROW_GAP,
    }
}

/// Sets the vertical coordinate (in rows, columns centred) of every node of `col`.
fn place(col: &[usize], coord: &mut [f64], max_rows: usize) {
    let offset = (max_rows - col.len()) as f64 / 2.0;
    for (r, &i) in col.iter().enumerate() {
        coord[i] = offset + r as f64;
    }
}

/// Sorts `col` by the mean coordinate of each node's `neighbours`; a node without any keeps
/// its own coordinate. Ties keep the current order.
fn reorder(col: &mut Vec<usize>, coord: &mut [f64], neighbours: &[Vec<usize>], max_rows: usize) {
    let mut keyed: Vec<(f64, usize, usize)> = col
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let ns = &neighbours[i];
            let bary = if ns.is_empty() {
                coord[i]
            } else {
                ns.iter().map(|&j| coord[j]).sum::<f64>() / ns.len() as f64
            };
            (bary, row, i)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    col.clear();
    col.extend(keyed.into_iter().map(|(_, _, i)| i));
    place(col, coord, max_rows);
}

/// Crossings between edges joining adjacent columns (edges spanning several columns are not
/// counted). O(E log E).
fn crossings(columns: &[Vec<usize>], adjacent: &[Vec<(usize, usize)>], n: usize) -> u64 {
    let mut row = vec![0usize; n];
    for col in columns {
        for (r, &i) in col.iter().enumerate() {
            row[i] = r;
        }
    }
    let mut total = 0;
    for bucket in adjacent {
        if bucket.len() < 2 {
            continue;
        }
        let mut pairs: Vec<(usize, usize)> = bucket.iter().map(|&(a, b)| (row[a], row[b])).collect();
        pairs.sort_unstable();
        let mut lower: Vec<usize> = pairs.into_iter().map(|(_, b)| b).collect();
        let mut scratch = vec![0; lower.len()];
        total += inversions(&mut lower, &mut scratch);
    }
    total
}

/// Counts pairs `i < j` with `v[i] > v[j]`, sorting `v` (merge sort).
fn inversions(v: &mut [usize], scratch: &mut [usize]) -> u64 {
    let len = v.len();
    if len < 2 {
        return 0;
    }
    let mid = len / 2;
    let mut count = {
        let (left, right) = v.split_at_mut(mid);
        let (sl, sr) = scratch.split_at_mut(mid);
        inversions(left, sl) + inversions(right, sr)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < len {
        if v[i] <= v[j] {
            scratch[k] = v[i];
            i += 1;
        } else {
            scratch[k] = v[j];
            count += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    scratch[k..k + mid - i].copy_from_slice(&v[i..mid]);
    k += mid - i;
    scratch[k..k + len - j].copy_from_slice(&v[j..len]);
    v.copy_from_slice(&scratch[..len]);
    count
}

/// A cubic curve from the middle of `from`'s right side to the middle of `to`'s left side.
fn edge_path(from: &NodeRect, to: &NodeRect) -> String {
    let (sx, sy) = (from.x + from.w, from.y + from.h / 2.0);
    let (tx, ty) = (to.x, to.y + to.h / 2.0);
    let dx = ((tx - sx).abs() / 2.0).max(24.0);
    let mut d = String::with_capacity(48);
    for (prefix, v) in [
        ("M", sx),
        (" ", sy),
        (" C", sx + dx),
        (" ", sy),
        (" ", tx - dx),
        (" ", ty),
        (" ", tx),
        (" ", ty),
    ] {
        d.push_str(prefix);
        push_num(&mut d, v);
    }
    d
}

/// Appends a coordinate with at most one decimal and no trailing `.0`.
fn push_num(out: &mut String, v: f64) {
    // Integer formatting: much faster than float formatting, and edges have many numbers.
    let tenths = if v.is_finite() { (v * 10.0).round() as i64 } else { 0 };
    if tenths < 0 {
        out.push('-');
    }
    let a = tenths.unsigned_abs();
    let _ = write!(out, "{}", a / 10);
    if a % 10 != 0 {
        out.push('.');
        out.push(char::from(b'0' + (a % 10) as u8));
    }
}

/// A coordinate with at most one decimal and no trailing `.0`.
fn num(v: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, v);
    s
}

/// `s` cut to at most `max` characters, the last one an ellipsis when it was cut.
pub fn truncate_label(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            format!("{}…", &s[..keep])
        }
    }
}

/// "12 tasks in 4 levels: 5 succeeded, 1 running, 6 pending" (states in lifecycle order,
/// only those present).
pub fn summary_label(tasks: &[TaskView], columns: usize) -> String {
    let n = tasks.len();
    let mut out = format!(
        "Task graph: {n} task{} in {columns} level{}",
        if n == 1 { "" } else { "s" },
        if columns == 1 { "" } else { "s" }
    );
    let parts: Vec<String> = state_counts(tasks)
        .into_iter()
        .map(|(s, c)| format!("{c} {s}"))
        .collect();
    if !parts.is_empty() {
        out.push_str(": ");
        out.push_str(&parts.join(", "));
    }
    out
}

/// How many tasks are in each state, for the states present, in lifecycle order.
pub fn state_counts(tasks: &[TaskView]) -> Vec<(TaskState, usize)> {
    TaskState::ALL
        .iter()
        .map(|&s| (s, tasks.iter().filter(|t| t.state == s).count()))
        .filter(|&(_, c)| c > 0)
        .collect()
}

/// A glyph for a state, so colour is not the only cue.
pub const fn state_glyph(state: TaskState) -> &'static str {
    match state {
        TaskState::Pending => "○",
        TaskState::Ready => "◔",
        TaskState::Running => "▶",
        TaskState::Succeeded => "✓",
        TaskState::Failed => "✕",
        TaskState::Cancelled => "⊘",
        TaskState::Skipped => "↷",
    }
}

/// "850 ms", "12.3 s", "2 min 05 s", "1 h 02 min".
pub fn format_duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1_000.0)
    } else if ms < 3_600_000 {
        let s = ms / 1_000;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = ms / 60_000;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// The first `limit` characters of `text` (with a trailing ellipsis line) and whether it was
/// cut.
pub fn json_preview(text: &str, limit: usize) -> (String, bool) {
    match text.char_indices().nth(limit) {
        None => (text.to_owned(), false),
        Some((cut, _)) => (format!("{}\n…", &text[..cut]), true),
    }
}

/// Pretty-printed JSON.
pub fn pretty_json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

// ---------------------------------------------------------------------------------------------
// Components

/// What one node shows; compared so that unchanged nodes are not touched.
#[derive(Debug, Clone, PartialEq)]
struct NodeData {
    key: String,
    state: TaskState,
    agent: Option<String>,
    x: f64,
    y: f64,
}

impl Default for NodeData {
    fn default() -> Self {
        Self {
            key: String::new(),
            state: TaskState::Pending,
            agent: None,
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
                "node state-{}{}",
                n.state,
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
            format!("Task {}, {}, {agent}", n.key, n.state)
        })
    };
    let sub = move || node.with(|n| truncate_label(n.agent.as_deref().unwrap_or_else(|| n.state.as_str()), SUB_CHARS));

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
    use std::time::Instant;

    use domain::ids::TaskId;
    use uuid::Uuid;

    use super::*;

    fn task(n: usize, key: &str, level: i32, deps: &[&str]) -> TaskView {
        TaskView {
            id: TaskId(Uuid::from_u128(n as u128 + 1)),
            key: key.to_owned(),
            description: String::new(),
            kind: "noop".to_owned(),
            state: TaskState::Pending,
            dependencies: deps.iter().map(|d| (*d).to_owned()).collect(),
            required_capabilities: Vec::new(),
            level,
            position: n as i32,
            agent: None,
            attempts: 0,
            max_attempts: 3,
            error: None,
            input: serde_json::Value::Null,
            output: None,
            ready_at: None,
            started_at: None,
            finished_at: None,
            duration_ms: None,
        }
    }

    fn no_overlap(l: &GraphLayout) {
        for a in &l.nodes {
            assert!(a.x >= 0.0 && a.y >= 0.0, "{a:?}");
            assert!(
                a.x + a.w <= l.width + 1e-9 && a.y + a.h <= l.height + 1e-9,
                "{a:?} outside"
            );
            for b in &l.nodes {
                if a.index < b.index {
                    let apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                    assert!(apart, "{a:?} overlaps {b:?}");
                }
            }
        }
    }

    fn crossings_of(l: &GraphLayout) -> u64 {
        // Brute force over edges between adjacent columns.
        let mut count = 0;
        for (i, e) in l.edges.iter().enumerate() {
            for f in &l.edges[i + 1..] {
                let (a, b, c, d) = (&l.nodes[e.from], &l.nodes[e.to], &l.nodes[f.from], &l.nodes[f.to]);
                if a.column + 1 == b.column && c.column == a.column && d.column == b.column {
                    let (r1, r2) = (a.row as i64 - c.row as i64, b.row as i64 - d.row as i64);
                    if r1 * r2 < 0 {
                        count += 1;
                    }
                }
            }
        }
        count
    }

    #[test]
    fn no_tasks_give_an_empty_layout() {
        let l = layout(&[]);
        assert!(l.nodes.is_empty() && l.edges.is_empty());
        assert_eq!((l.width, l.height, l.columns), (0.0, 0.0, 0));
    }

    #[test]
    fn one_task_is_one_node_with_margins() {
        let l = layout(&[task(0, "only", 0, &[])]);
        assert_eq!(l.nodes.len(), 1);
        assert_eq!(
            l.nodes[0],
            NodeRect {
                index: 0,
                column: 0,
                row: 0,
                x: PAD,
                y: PAD,
                w: NODE_W,
                h: NODE_H
            }
        );
        assert_eq!(l.width, NODE_W + 2.0 * PAD);
        assert_eq!(l.height, NODE_H + 2.0 * PAD);
        assert!(l.edges.is_empty());
    }

    #[test]
    fn columns_follow_levels_and_edges_run_right_to_left_sides() {
        let tasks = [
            task(0, "a", 0, &[]),
            task(1, "b", 1, &["a"]),
            task(2, "c", 1, &["a"]),
            task(3, "d", 2, &["b", "c"]),
        ];
        let l = layout(&tasks);
        assert_eq!(l.columns, 3);
        let cols: Vec<usize> = l.nodes.iter().map(|n| n.column).collect();
        assert_eq!(cols, [0, 1, 1, 2]);
        assert!(l.nodes.iter().enumerate().all(|(i, n)| n.index == i));
        assert_eq!(l.edges.len(), 4);
        let ab = l.edges.iter().find(|e| e.from == 0 && e.to == 1).unwrap();
        let (a, b) = (&l.nodes[0], &l.nodes[1]);
        let start = format!("M{} {} C", num(a.x + a.w), num(a.y + a.h / 2.0));
        let end = format!(" {} {}", num(b.x), num(b.y + b.h / 2.0));
        assert!(ab.d.starts_with(&start), "{}", ab.d);
        assert!(ab.d.ends_with(&end), "{}", ab.d);
        assert_eq!(l.width, 2.0 * PAD + 3.0 * NODE_W + 2.0 * COL_GAP);
        assert_eq!(l.height, 2.0 * PAD + 2.0 * NODE_H + ROW_GAP);
        no_overlap(&l);
    }

    #[test]
    fn unknown_self_and_duplicate_dependencies_are_ignored() {
        let tasks = [task(0, "a", 0, &["ghost"]), task(1, "b", 1, &["a", "a", "b", "nope"])];
        let l = layout(&tasks);
        assert_eq!(l.edges.len(), 1);
        assert_eq!((l.edges[0].from, l.edges[0].to), (0, 1));
    }

    #[test]
    fn level_gaps_are_closed_and_backward_edges_still_get_a_path() {
        let tasks = [task(0, "a", 3, &[]), task(1, "b", 7, &["a"]), task(2, "c", 3, &["b"])];
        let l = layout(&tasks);
        assert_eq!(l.columns, 2);
        assert_eq!(l.edges.len(), 2);
        assert!(l.edges.iter().all(|e| e.d.starts_with('M') && e.d.contains(" C")));
    }

    #[test]
    fn barycenter_sweeps_remove_avoidable_crossings() {
        // a1 -> b2, a2 -> b1 in input order cross; reordering fixes it.
        let tasks = [
            task(0, "a1", 0, &[]),
            task(1, "a2", 0, &[]),
            task(2, "b1", 1, &["a2"]),
            task(3, "b2", 1, &["a1"]),
            task(4, "c1", 2, &["b2"]),
            task(5, "c2", 2, &["b1"]),
        ];
        let l = layout(&tasks);
        assert_eq!(crossings_of(&l), 0);
        no_overlap(&l);
    }

    #[test]
    fn crossing_count_matches_brute_force() {
        let tasks = [
            task(0, "a", 0, &[]),
            task(1, "b", 0, &[]),
            task(2, "c", 0, &[]),
            task(3, "x", 1, &["c", "b"]),
            task(4, "y", 1, &["a", "c"]),
            task(5, "z", 1, &["b", "a"]),
        ];
        let l = layout(&tasks);
        let mut columns = vec![Vec::new(); l.columns];
        let mut nodes = l.nodes.clone();
        nodes.sort_by_key(|n| (n.column, n.row));
        for n in &nodes {
            columns[n.column].push(n.index);
        }
        let adjacent = vec![l.edges.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>(), Vec::new()];
        assert_eq!(crossings(&columns, &adjacent, tasks.len()), crossings_of(&l));
    }

    #[test]
    fn layout_is_deterministic() {
        let tasks: Vec<TaskView> = (0..60)
            .map(|i| {
                let deps: Vec<String> = if i < 10 {
                    vec![]
                } else {
                    vec![format!("t{}", (i * 7) % 10), format!("t{}", i - 10)]
                };
                let mut t = task(i, &format!("t{i}"), (i / 10) as i32, &[]);
                t.dependencies = deps;
                t
            })
            .collect();
        assert_eq!(layout(&tasks), layout(&tasks));
        no_overlap(&layout(&tasks));
    }

    #[test]
    fn a_wide_level_is_one_tall_column() {
        let mut tasks = vec![task(0, "root", 0, &[])];
        tasks.extend((1..=50).map(|i| task(i, &format!("leaf-{i}"), 1, &["root"])));
        let l = layout(&tasks);
        assert_eq!(l.columns, 2);
        assert_eq!(l.edges.len(), 50);
        assert_eq!(l.height, 2.0 * PAD + 50.0 * NODE_H + 49.0 * ROW_GAP);
        // The root is centred on its 50 dependents.
        let root = &l.nodes[0];
        assert!((root.y + NODE_H / 2.0 - l.height / 2.0).abs() < 1.0, "{root:?}");
        no_overlap(&l);
    }

    #[test]
    fn a_long_chain_is_one_row() {
        let keys: Vec<String> = (0..100).map(|i| format!("step-{i}")).collect();
        let tasks: Vec<TaskView> = (0..100)
            .map(|i| {
                let deps: Vec<&str> = if i == 0 { vec![] } else { vec![keys[i - 1].as_str()] };
                task(i, &keys[i], i as i32, &deps)
            })
            .collect();
        let l = layout(&tasks);
        assert_eq!(l.columns, 100);
        assert!(l.nodes.iter().all(|n| n.y == PAD && n.row == 0));
        assert_eq!(l.width, 2.0 * PAD + 100.0 * NODE_W + 99.0 * COL_GAP);
        assert_eq!(l.edges.len(), 99);
    }

    #[test]
    fn a_thousand_tasks_lay_out_quickly() {
        let tasks: Vec<TaskView> = (0..1_000)
            .map(|i| {
                let level = (i / 25) as i32;
                let mut t = task(i, &format!("t{i}"), level, &[]);
                if level > 0 {
                    let base = (i / 25 - 1) * 25;
                    t.dependencies = vec![
                        format!("t{}", base + (i * 7) % 25),
                        format!("t{}", base + (i * 13) % 25),
                    ];
                }
                t
            })
            .collect();
        let start = Instant::now();
        let l = layout(&tasks);
        let took = start.elapsed();
        assert_eq!(l.nodes.len(), 1_000);
        assert_eq!(l.columns, 40);
        // A few ms in release; generous here for unoptimised, shared-CPU test runs.
        assert!(took.as_millis() < 1_000, "took {took:?}");
    }

    #[test]
    fn inversions_are_counted() {
        let mut v = vec![3, 1, 2, 0];
        let mut s = vec![0; 4];
        assert_eq!(inversions(&mut v, &mut s), 5);
        assert_eq!(v, [0, 1, 2, 3]);
    }

    #[test]
    fn labels_are_cut_with_an_ellipsis() {
        assert_eq!(truncate_label("short", 18), "short");
        assert_eq!(truncate_label("exactly-ten", 11), "exactly-ten");
        assert_eq!(truncate_label("generate-frontend-code", 10), "generate-…");
        assert_eq!(truncate_label("généré-ünïcödé", 5), "géné…");
        assert_eq!(truncate_label("abc", 0), "");
        assert_eq!(truncate_label("generate-frontend-code", 10).chars().count(), 10);
    }

    #[test]
    fn the_summary_counts_states() {
        let mut tasks = vec![task(0, "a", 0, &[]), task(1, "b", 1, &["a"]), task(2, "c", 1, &["a"])];
        tasks[0].state = TaskState::Succeeded;
        tasks[1].state = TaskState::Running;
        assert_eq!(
            summary_label(&tasks, 2),
            "Task graph: 3 tasks in 2 levels: 1 pending, 1 running, 1 succeeded"
        );
        assert_eq!(
            summary_label(&tasks[..1], 1),
            "Task graph: 1 task in 1 level: 1 succeeded"
        );
        assert_eq!(summary_label(&[], 0), "Task graph: 0 tasks in 0 levels");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration_ms(850), "850 ms");
        assert_eq!(format_duration_ms(12_345), "12.3 s");
        assert_eq!(format_duration_ms(125_000), "2 min 05 s");
        assert_eq!(format_duration_ms(3_720_000), "1 h 02 min");
        assert_eq!(format_duration_ms(-5), "0 ms");
    }

    #[test]
    fn long_json_is_previewed() {
        assert_eq!(json_preview("{}", 10), ("{}".to_owned(), false));
        let (p, cut) = json_preview("0123456789abc", 10);
        assert!(cut);
        assert_eq!(p, "0123456789\n…");
        let (p, cut) = json_preview("ééééé", 3);
        assert!(cut);
        assert_eq!(p, "ééé\n…");
        assert!(pretty_json(&serde_json::json!({"a": [1, 2]})).contains("\n  \"a\": ["));
    }

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

    #[test]
    fn coordinates_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-3.5), "-3.5");
        assert_eq!(num(-0.01), "0");
    }
}
