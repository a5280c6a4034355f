//! Planning: a description becomes a task DAG. [`Planner`] is the seam: the deterministic
//! [`RulePlanner`] here needs no model and always gives the same plan for the same input;
//! the build pipeline plans from an app spec instead (see `pipeline`).
//!
//! The rule planner's shape: analyse -> design -> one implementation task per requirement
//! (or per clause of the description) -> test, plus assets, video, optimisation and
//! deployment tasks when the words ask for them. Capabilities come from keywords.

use domain::{agent::Capability, api::DecomposeRequest, dag::TaskSpec};

use crate::error::{Error, Result};

/// A plan: a name for the workflow, its tasks, and how sure the planner is.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Short name for the workflow.
    pub name: String,
    /// The tasks (validated by the caller).
    pub tasks: Vec<TaskSpec>,
    /// 0 to 1.
    pub confidence: f32,
}

/// Turns a decomposition request into a plan.
pub trait Planner: Send + Sync + 'static {
    /// Plans `req`.
    ///
    /// # Errors
    /// [`Error::BadRequest`] when the request cannot be planned.
    fn plan(&self, req: &DecomposeRequest) -> Result<Plan>;
}

/// The deterministic, keyword-driven planner.
#[derive(Debug, Default, Clone, Copy)]
pub struct RulePlanner;

const MAX_IMPLEMENTATION_TASKS: usize = 12;

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// Capabilities an implementation task needs, from its words.
fn capabilities_for(text: &str) -> Vec<Capability> {
    let t = text.to_lowercase();
    let mut caps = vec![Capability::CodeGeneration];
    if has(
        &t,
        &["api", "integrat", "webhook", "endpoint", "oauth", "stripe", "payment"],
    ) {
        caps.push(Capability::ApiIntegration);
    }
    if has(
        &t,
        &[
            "report",
            "analytic",
            "chart",
            "dashboard",
            "statistic",
            "metric",
            "data",
        ],
    ) {
        caps.push(Capability::DataAnalysis);
    }
    caps.sort();
    caps
}

fn task(id: &str, description: String, caps: &[Capability], deps: &[&str], estimate: u32) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        description,
        kind: "generic".into(),
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        required_capabilities: caps.to_vec(),
        estimated_duration: estimate,
        input: serde_json::Value::Null,
    }
}

/// Splits a description into feature clauses: sentences, then `and`/commas, without the
/// leading "a/an/the ... app" framing.
fn clauses(description: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in description.split(['.', ';', '\n']) {
        for part in sentence
            .split(',')
            .flat_map(|p| p.split(" and "))
            .flat_map(|p| p.split(" with "))
        {
            let words: Vec<&str> = part.split_whitespace().collect();
            if words.len() >= 2 {
                out.push(words.join(" "));
            }
        }
    }
    out.dedup();
    out
}

fn title(description: &str) -> String {
    let words: Vec<&str> = description.split_whitespace().take(8).collect();
    let mut t = words.join(" ");
    if description.split_whitespace().count() > 8 {
        t.push('…');
    }
    t
}

impl Planner for RulePlanner {
    fn plan(&self, req: &DecomposeRequest) -> Result<Plan> {
        let description = req.description.trim();
        if description.is_empty() {
            return Err(Error::BadRequest("description must not be empty".into()));
        }
        let all = format!("{} {}", description, req.requirements.join(" ")).to_lowercase();
        let mut tasks = vec![task(
            "analyze",
            format!("Analyse the request and pin down what done means: {description}"),
            &[Capability::DataAnalysis, Capability::TextGeneration],
            &[],
            30,
        )];
        tasks.push(task(
            "design",
            "Design the structure and the user interface".into(),
            &[Capability::UiDesign],
            &["analyze"],
            60,
        ));

        let features: Vec<String> = if req.requirements.iter().any(|r| !r.trim().is_empty()) {
            req.requirements
                .iter()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect()
        } else {
            clauses(description)
        };
        let features: Vec<String> = if features.is_empty() {
            vec![description.to_owned()]
        } else {
            features
        };
        let mut implemented = Vec::new();
        for (i, f) in features.iter().take(MAX_IMPLEMENTATION_TASKS).enumerate() {
            let id = format!("implement-{}", i + 1);
            tasks.push(task(
                &id,
                format!("Implement: {f}"),
                &capabilities_for(f),
                &["design"],
                120,
            ));
            implemented.push(id);
        }
        let mut before_test: Vec<String> = implemented.clone();
        if has(
            &all,
            &["image", "logo", "icon", "illustration", "picture", "photo", "asset"],
        ) {
            tasks.push(task(
                "assets",
                "Produce the images, logo and icons".into(),
                &[Capability::ImageGeneration],
                &["analyze"],
                60,
            ));
            before_test.push("assets".into());
        }
        if has(&all, &["video", "animation", "clip"]) {
            tasks.push(task(
                "video",
                "Produce the video content".into(),
                &[Capability::VideoGeneration],
                &["analyze"],
                180,
            ));
            before_test.push("video".into());
        }
        let deps: Vec<&str> = before_test.iter().map(String::as_str).collect();
        tasks.push(task(
            "test",
            "Test the result against every requirement".into(),
            &[Capability::Testing],
            &deps,
            90,
        ));
        let mut last = "test";
        if has(&all, &["fast", "performan", "optimi", "speed", "scale"]) {
            tasks.push(task(
                "optimize",
                "Optimise the slow paths found while testing".into(),
                &[Capability::Optimization],
                &["test"],
                60,
            ));
            last = "optimize";
        }
        let deploy = req.constraints.get("deploy").and_then(|v| v.as_bool()).unwrap_or(false);
        if deploy || has(&all, &["deploy", "ship", "release", "publish", "host"]) {
            tasks.push(task(
                "deploy",
                "Deploy the result".into(),
                &[Capability::Deployment],
                &[last],
                45,
            ));
        }

        // Confidence: how much structure the words gave us.
        let words = description.split_whitespace().count();
        let mut confidence: f32 = if words < 4 { 0.35 } else { 0.55 };
        if !req.requirements.is_empty() {
            confidence += 0.2;
        }
        if features.len() > 1 {
            confidence += 0.1;
        }
        if features.len() > MAX_IMPLEMENTATION_TASKS {
            confidence -= 0.1;
        }
        Ok(Plan {
            name: title(description),
            tasks,
            confidence: confidence.clamp(0.05, 0.95),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(description: &str, requirements: &[&str]) -> DecomposeRequest {
        DecomposeRequest {
            description: description.into(),
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            constraints: Default::default(),
        }
    }

    #[test]
    fn an_empty_description_is_refused() {
        assert!(matches!(RulePlanner.plan(&req("   ", &[])), Err(Error::BadRequest(_))));
    }

    #[test]
    fn requirements_become_parallel_implementation_tasks_between_design_and_test() {
        let plan = RulePlanner
            .plan(&req(
                "Build a shop",
                &["product catalogue", "stripe payments", "sales report"],
            ))
            .unwrap();
        let dag = domain::dag::validate(plan.tasks.clone()).unwrap();
        let ids: Vec<_> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            ["analyze", "design", "implement-1", "implement-2", "implement-3", "test"]
        );
        assert_eq!(dag.max_width(), 3);
        let payments = &plan.tasks[3];
        assert!(payments.required_capabilities.contains(&Capability::ApiIntegration));
        let report = &plan.tasks[4];
        assert!(report.required_capabilities.contains(&Capability::DataAnalysis));
        assert_eq!(
            plan.tasks[5].dependencies,
            ["implement-1", "implement-2", "implement-3"]
        );
    }

    #[test]
    fn keywords_add_assets_optimisation_and_deployment() {
        let plan = RulePlanner
            .plan(&req("A fast landing page with a logo, then deploy it", &[]))
            .unwrap();
        let ids: Vec<_> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
        assert!(ids.contains(&"assets"));
        assert!(ids.contains(&"optimize"));
        assert_eq!(ids.last(), Some(&"deploy"));
        domain::dag::validate(plan.tasks).unwrap();
    }

    #[test]
    fn the_same_request_gives_the_same_plan() {
        let r = req("A habit tracker with streaks and reminders", &[]);
        assert_eq!(RulePlanner.plan(&r).unwrap(), RulePlanner.plan(&r).unwrap());
    }
}
