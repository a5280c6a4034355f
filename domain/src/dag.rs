//! Workflows as task DAGs. [`validate`] turns a list of [`TaskSpec`]s into a [`Dag`] or
//! says exactly what is wrong: an empty or duplicate id, a dependency that names no task, or
//! a cycle (with its path). A valid DAG also knows its topological order, each task's level
//! (longest chain of dependencies below it) and its critical path by estimated duration.
//!
//! Validation is O(tasks + edges) with one hash lookup per edge, so a 10,000-task graph takes
//! well under the 10 ms budget (see the benchmark in `orchestrator/benches`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::agent::Capability;

/// Longest task key accepted.
pub const MAX_TASK_KEY_LEN: usize = 128;
/// Most tasks in one workflow.
pub const MAX_TASKS: usize = 50_000;

/// One node of a workflow, as planned (before it is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TaskSpec {
    /// Unique within the workflow (the seed calls it `id`).
    pub id: String,
    /// What to do, for a person and for the agent.
    pub description: String,
    /// Which handler runs it (`generic`, `analysis`, `codegen`, ...): lowercase word.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Ids of tasks that must succeed first.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The agent that runs it must hold all of these.
    #[serde(default)]
    pub required_capabilities: Vec<Capability>,
    /// Planner's estimate, in seconds.
    #[serde(default)]
    pub estimated_duration: u32,
    /// Handler input.
    #[serde(default)]
    pub input: serde_json::Value,
}

fn default_kind() -> String {
    "generic".into()
}

/// Why a list of tasks is not a valid DAG.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum DagError {
    /// No tasks at all.
    #[error("a workflow needs at least one task")]
    Empty,
    /// More than [`MAX_TASKS`].
    #[error("a workflow may hold at most {MAX_TASKS} tasks, not {0}")]
    TooLarge(usize),
    /// A task id that is empty, too long, or not printable.
    #[error("task id {0:?} must be 1 to {MAX_TASK_KEY_LEN} printable characters")]
    BadId(String),
    /// A task kind that is not a lowercase word.
    #[error("task {task:?} has kind {kind:?}; a kind is a lowercase word (a-z, 0-9, _) of at most 32 characters")]
    BadKind {
        /// The task.
        task: String,
        /// Its kind.
        kind: String,
    },
    /// Two tasks share an id.
    #[error("task id {0:?} is used more than once")]
    DuplicateId(String),
    /// A dependency that names no task.
    #[error("task {task:?} depends on {missing:?}, which is not a task of this workflow")]
    MissingDependency {
        /// The task.
        task: String,
        /// The unknown dependency.
        missing: String,
    },
    /// The graph has a cycle; the path starts and ends at the same task, and each task in it
    /// depends on the next.
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// A validated task graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Dag {
    tasks: Vec<TaskSpec>,
    /// Indices of `tasks` in a topological order (dependencies first, ties by input order).
    order: Vec<u32>,
    /// Per task: 0 without dependencies, else 1 + the highest level among its dependencies.
    levels: Vec<u32>,
    /// Indices of the chain with the largest total estimated duration, first to last.
    critical_path: Vec<u32>,
    /// Per task: indices of its dependencies.
    deps: Vec<Vec<u32>>,
}

/// Validates `tasks` as a DAG.
///
/// # Errors
/// The first problem found, in this order: size, ids, kinds, duplicates, missing
/// dependencies, cycles.
pub fn validate(tasks: Vec<TaskSpec>) -> Result<Dag, DagError> {
    if tasks.is_empty() {
        return Err(DagError::Empty);
    }
    if tasks.len() > MAX_TASKS {
        return Err(DagError::TooLarge(tasks.len()));
    }
    let mut index: HashMap<&str, u32> = HashMap::with_capacity(tasks.len());
    for (i, t) in tasks.iter().enumerate() {
        if t.id.is_empty()
            || t.id.len() > MAX_TASK_KEY_LEN
            || t.id.chars().any(|c| c.is_control())
            || t.id.trim() != t.id
        {
            return Err(DagError::BadId(t.id.clone()));
        }
        if !is_kind_word(&t.kind) {
            return Err(DagError::BadKind {
                task: t.id.clone(),
                kind: t.kind.clone(),
            });
        }
        if index.insert(t.id.as_str(), i as u32).is_some() {
            return Err(DagError::DuplicateId(t.id.clone()));
        }
    }

    let n = tasks.len();
    let mut deps: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut dependents: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut indegree = vec![0u32; n];
    for (i, t) in tasks.iter().enumerate() {
        let mut mine = Vec::with_capacity(t.dependencies.len());
        for d in &t.dependencies {
            let Some(&j) = index.get(d.as_str()) else {
                return Err(DagError::MissingDependency {
                    task: t.id.clone(),
                    missing: d.clone(),
                });
            };
            // A repeated dependency is one edge.
            if !mine.contains(&j) {
                mine.push(j);
                dependents[j as usize].push(i as u32);
                indegree[i] += 1;
            }
        }
        deps.push(mine);
    }

    // Kahn's algorithm; the queue is a Vec used as a FIFO through a read cursor, so ties keep
    // the input order and nothing is reallocated.
    let mut order: Vec<u32> = (0..n as u32).filter(|&i| indegree[i as usize] == 0).collect();
    order.reserve(n - order.len());
    let mut levels = vec![0u32; n];
    let mut cursor = 0;
    while cursor < order.len() {
        let i = order[cursor] as usize;
        cursor += 1;
        for &d in &dependents[i] {
            let d = d as usize;
            levels[d] = levels[d].max(levels[i] + 1);
            indegree[d] -= 1;
            if indegree[d] == 0 {
                order.push(d as u32);
            }
        }
    }
    if order.len() < n {
        return Err(DagError::Cycle(find_cycle(&tasks, &deps, &indegree)));
    }

    // Longest path by estimated duration (each task counts at least 1 so that chains of
    // unestimated tasks still have a length).
    let weight = |i: usize| u64::from(tasks[i].estimated_duration.max(1));
    let mut dist = vec![0u64; n];
    let mut via: Vec<Option<u32>> = vec![None; n];
    for &i in &order {
        let i = i as usize;
        let best = deps[i]
            .iter()
            .copied()
            .max_by_key(|&d| (dist[d as usize], std::cmp::Reverse(d)));
        dist[i] = weight(i) + best.map_or(0, |d| dist[d as usize]);
        via[i] = best;
    }
    let mut end = (0..n).max_by_key(|&i| (dist[i], std::cmp::Reverse(i))).unwrap_or(0) as u32;
    let mut critical_path = vec![end];
    while let Some(prev) = via[end as usize] {
        critical_path.push(prev);
        end = prev;
    }
    critical_path.reverse();

    Ok(Dag {
        tasks,
        order,
        levels,
        critical_path,
        deps,
    })
}

/// Walks dependency edges among tasks left with unmet dependencies until a task repeats.
/// Every such task has at least one dependency that is also left, so the walk cannot stop.
fn find_cycle(tasks: &[TaskSpec], deps: &[Vec<u32>], indegree: &[u32]) -> Vec<String> {
    let start = indegree
        .iter()
        .position(|&d| d > 0)
        .expect("a cycle leaves a task with unmet dependencies");
    let mut seen_at: HashMap<u32, usize> = HashMap::new();
    let mut path: Vec<u32> = Vec::new();
    let mut at = start as u32;
    loop {
        if let Some(&pos) = seen_at.get(&at) {
            let mut cycle: Vec<String> = path[pos..].iter().map(|&i| tasks[i as usize].id.clone()).collect();
            cycle.push(tasks[at as usize].id.clone());
            return cycle;
        }
        seen_at.insert(at, path.len());
        path.push(at);
        at = *deps[at as usize]
            .iter()
            .find(|&&d| indegree[d as usize] > 0)
            .expect("a task on a cycle has a dependency on the cycle");
    }
}

/// Whether `s` is a task kind: a lowercase ASCII word of 1 to 32 characters.
pub fn is_kind_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Dag {
    /// The tasks, in the order they were given.
    pub fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }

    /// Consumes the DAG, returning its tasks in the order they were given.
    pub fn into_tasks(self) -> Vec<TaskSpec> {
        self.tasks
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether there are no tasks (never true for a validated DAG).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Task indices in topological order.
    pub fn topological_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.order.iter().map(|&i| i as usize)
    }

    /// The level of task `i`: the length of the longest chain of dependencies below it.
    pub fn level(&self, i: usize) -> u32 {
        self.levels[i]
    }

    /// Indices of task `i`'s dependencies.
    pub fn dependencies(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.deps[i].iter().map(|&d| d as usize)
    }

    /// Number of levels (1 + the highest level).
    pub fn depth(&self) -> u32 {
        self.levels.iter().copied().max().map_or(0, |l| l + 1)
    }

    /// Most tasks that share one level: how wide the graph can run in parallel.
    pub fn max_width(&self) -> usize {
        let mut counts = vec![0usize; self.depth() as usize];
        for &l in &self.levels {
            counts[l as usize] += 1;
        }
        counts.into_iter().max().unwrap_or(0)
    }

    /// Task ids along the critical path, first to last.
    pub fn critical_path(&self) -> Vec<&str> {
        self.critical_path
            .iter()
            .map(|&i| self.tasks[i as usize].id.as_str())
            .collect()
    }

    /// Total estimated seconds along the critical path.
    pub fn critical_path_duration(&self) -> u64 {
        self.critical_path
            .iter()
            .map(|&i| u64::from(self.tasks[i as usize].estimated_duration))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, deps: &[&str]) -> TaskSpec {
        TaskSpec {
            id: id.into(),
            description: format!("task {id}"),
            kind: "generic".into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            required_capabilities: vec![],
            estimated_duration: 10,
            input: serde_json::Value::Null,
        }
    }

    #[test]
    fn an_empty_workflow_is_refused() {
        assert_eq!(validate(vec![]).unwrap_err(), DagError::Empty);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = validate(vec![t("a", &[]), t("b", &[]), t("a", &[])]).unwrap_err();
        assert_eq!(err, DagError::DuplicateId("a".into()));
    }

    #[test]
    fn a_missing_dependency_is_named() {
        let err = validate(vec![t("a", &[]), t("b", &["a", "ghost"])]).unwrap_err();
        assert_eq!(
            err,
            DagError::MissingDependency {
                task: "b".into(),
                missing: "ghost".into()
            }
        );
    }

    #[test]
    fn a_cycle_is_reported_with_its_path() {
        // a -> b -> c -> a, with d hanging off the cycle and e independent.
        let err = validate(vec![
            t("e", &[]),
            t("a", &["b"]),
            t("b", &["c"]),
            t("c", &["a"]),
            t("d", &["a"]),
        ])
        .unwrap_err();
        let DagError::Cycle(path) = err else {
            panic!("expected a cycle, got {err:?}")
        };
        assert_eq!(path.first(), path.last());
        assert_eq!(path.len(), 4);
        let mut members = path[..3].to_vec();
        members.sort();
        assert_eq!(members, ["a", "b", "c"]);
        assert!(err_text(&path).contains(" -> "));
    }

    fn err_text(path: &[String]) -> String {
        DagError::Cycle(path.to_vec()).to_string()
    }

    #[test]
    fn a_self_dependency_is_a_cycle() {
        let err = validate(vec![t("a", &["a"])]).unwrap_err();
        assert_eq!(err, DagError::Cycle(vec!["a".into(), "a".into()]));
    }

    #[test]
    fn bad_ids_and_kinds_are_refused() {
        assert_eq!(validate(vec![t("", &[])]).unwrap_err(), DagError::BadId(String::new()));
        assert!(matches!(validate(vec![t(" a", &[])]).unwrap_err(), DagError::BadId(_)));
        let mut bad = t("a", &[]);
        bad.kind = "Code Gen".into();
        assert!(matches!(validate(vec![bad]).unwrap_err(), DagError::BadKind { .. }));
    }

    #[test]
    fn levels_order_and_critical_path_of_a_diamond() {
        // root -> {left, right} -> join; right takes longer.
        let mut right = t("right", &["root"]);
        right.estimated_duration = 50;
        let dag = validate(vec![
            t("join", &["left", "right"]),
            t("left", &["root"]),
            right,
            t("root", &[]),
        ])
        .unwrap();
        let ids: Vec<_> = dag.topological_order().map(|i| dag.tasks()[i].id.as_str()).collect();
        assert_eq!(ids, ["root", "left", "right", "join"]);
        let level = |id: &str| dag.level(dag.tasks().iter().position(|t| t.id == id).unwrap());
        assert_eq!(
            (level("root"), level("left"), level("right"), level("join")),
            (0, 1, 1, 2)
        );
        assert_eq!(dag.depth(), 3);
        assert_eq!(dag.max_width(), 2);
        assert_eq!(dag.critical_path(), ["root", "right", "join"]);
        assert_eq!(dag.critical_path_duration(), 70);
    }

    #[test]
    fn repeated_dependencies_count_once() {
        let dag = validate(vec![t("a", &[]), t("b", &["a", "a"])]).unwrap();
        assert_eq!(dag.dependencies(1).count(), 1);
    }

    #[test]
    fn a_long_chain_validates_without_recursion() {
        let n = 20_000;
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                if i == 0 {
                    t("0", &[])
                } else {
                    t(&i.to_string(), &[&(i - 1).to_string()])
                }
            })
            .collect();
        let dag = validate(tasks).unwrap();
        assert_eq!(dag.depth(), n as u32);
        assert_eq!(dag.critical_path().len(), n);
    }
}
