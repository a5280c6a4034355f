//! The task graph's layout, pure (no Leptos): tasks placed in columns by dependency level,
//! each column ordered with barycenter sweeps to reduce edge crossings, every edge a cubic
//! SVG path from the right side of a dependency to the left side of its dependent; and the
//! graph's text (summary, state counts, glyphs).

use std::{collections::HashMap, fmt::Write as _};

use domain::{api::TaskView, status::TaskState};

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
pub(super) const SWEEPS: usize = 8;
/// Narrowest the graph is scaled to, as a share of its natural width, before it scrolls.
pub(super) const MIN_SCALE: f64 = 0.75;
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
pub(super) fn place(col: &[usize], coord: &mut [f64], max_rows: usize) {
    let offset = (max_rows - col.len()) as f64 / 2.0;
    for (r, &i) in col.iter().enumerate() {
        coord[i] = offset + r as f64;
    }
}

/// Sorts `col` by the mean coordinate of each node's `neighbours`; a node without any keeps
/// its own coordinate. Ties keep the current order.
pub(super) fn reorder(col: &mut Vec<usize>, coord: &mut [f64], neighbours: &[Vec<usize>], max_rows: usize) {
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
pub(super) fn crossings(columns: &[Vec<usize>], adjacent: &[Vec<(usize, usize)>], n: usize) -> u64 {
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
pub(super) fn inversions(v: &mut [usize], scratch: &mut [usize]) -> u64 {
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
pub(super) fn edge_path(from: &NodeRect, to: &NodeRect) -> String {
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
pub(super) fn push_num(out: &mut String, v: f64) {
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
pub(super) fn num(v: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, v);
    s
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

#[cfg(test)]
pub(super) mod tests {
    use domain::ids::TaskId;
    use uuid::Uuid;

    use super::*;

    /// A pending task for tests (also used by the components' tests).
    pub(in crate::graph) fn task(n: usize, key: &str, level: i32, deps: &[&str]) -> TaskView {
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
    fn a_thousand_tasks_each_get_a_place_of_their_own() {
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
        let l = layout(&tasks);
        assert_eq!(l.nodes.len(), 1_000);
        assert_eq!(l.columns, 40);
        // Every node has its own place (its speed is a benchmark's business, not a test's).
        let mut places: Vec<(u64, u64)> = l.nodes.iter().map(|n| (n.x.to_bits(), n.y.to_bits())).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 1_000);
    }

    #[test]
    fn inversions_are_counted() {
        let mut v = vec![3, 1, 2, 0];
        let mut s = vec![0; 4];
        assert_eq!(inversions(&mut v, &mut s), 5);
        assert_eq!(v, [0, 1, 2, 3]);
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
    fn coordinates_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-3.5), "-3.5");
        assert_eq!(num(-0.01), "0");
    }
}
